//! The store commands: `pages`, `articles`, `runs`, `warnings`, `migrate`, and opening the
//! store for them (`--db`, `IARSS_DATABASE_URL`, else `sqlite://iarss.db`).

use serde_json::{Value, json};
use tokio::runtime::Runtime;

use super::EXIT_OK;
use super::args::{ArticlesCommand, ListFormat, PagesCommand};
use super::error::{CliError, CliResult};
use super::output::table::Table;
use crate::model::Domain;
use crate::store::{
    DEFAULT_DATABASE_URL, FeedKind, FeedRun, NewPage, Page, Store, StoreError, rfc3339,
};

/// Opens the store for a command (a one-line error naming the database when it cannot be
/// opened), with a runtime to drive it.
pub fn open_store(db: Option<&str>) -> Result<(Runtime, Store), CliError> {
    let url = db.unwrap_or(DEFAULT_DATABASE_URL);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {e}")))?;
    let store = runtime.block_on(Store::open(url))?;
    Ok((runtime, store))
}

/// Runs `command` on the store at `db`, closing it afterwards.
fn with_store<F>(db: Option<&str>, command: impl FnOnce(Store) -> F) -> CliResult
where
    F: std::future::Future<Output = CliResult>,
{
    let (runtime, store) = open_store(db)?;
    let result = runtime.block_on(command(store.clone()));
    runtime.block_on(store.close());
    result
}

/// A time as JSON: RFC 3339 UTC, or null.
fn time(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |m| Value::String(rfc3339(m)))
}

/// A run as `runs --format json` writes it.
pub fn run_json(r: &FeedRun) -> Value {
    json!({
        "run_id": r.id,
        "page_id": r.page_id,
        "feed_url": r.feed_url,
        "feed": r.feed.as_str(),
        "outcome": r.outcome.as_str(),
        "http_status": r.http_status,
        "started_at": rfc3339(r.started_at),
        "finished_at": rfc3339(r.finished_at),
        "bytes": r.bytes,
        "items": r.counts.items,
        "inserted": r.counts.inserted,
        "updated": r.counts.updated,
        "unchanged": r.counts.unchanged,
        "ignored": r.counts.ignored,
        "rejected": r.counts.rejected,
        "error": r.error,
    })
}

/// A diagnostic's position in words, or `-` for a feed-level one.
fn position(line: Option<i64>, column: Option<i64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}"),
        (Some(l), None) => format!("line {l}"),
        _ => "-".into(),
    }
}

/// A run's counts in words.
pub fn counts_text(r: &FeedRun) -> String {
    format!(
        "inserted {}, updated {}, unchanged {}, ignored {}, rejected {}",
        r.counts.inserted,
        r.counts.updated,
        r.counts.unchanged,
        r.counts.ignored,
        r.counts.rejected
    )
}

/// Runs as a table, newest first.
fn runs_table(runs: &[FeedRun]) -> String {
    let mut table = Table::new(&[
        "run",
        "started",
        "page",
        "feed",
        "outcome",
        "items",
        "counts",
        "error or feed URL",
    ]);
    for r in runs {
        table.row(vec![
            r.id.unwrap_or_default().to_string(),
            rfc3339(r.started_at),
            r.page_id.clone(),
            r.feed.as_str().into(),
            r.outcome.as_str().into(),
            r.counts.items.to_string(),
            counts_text(r),
            r.error.clone().unwrap_or_else(|| r.feed_url.clone()),
        ]);
    }
    table.render("no runs recorded yet")
}

fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// `iarss migrate`.
pub fn migrate(db: Option<&str>) -> CliResult {
    with_store(db, |store| async move {
        store.migrate().await?;
        println!("migrations applied");
        Ok(EXIT_OK)
    })
}

/// `iarss runs`.
pub fn runs(db: Option<&str>, page: Option<&str>, limit: i64, format: ListFormat) -> CliResult {
    with_store(db, |store| async move {
        let runs = store.runs(page, limit.max(0)).await?;
        match format {
            ListFormat::Json => print_json(&Value::Array(runs.iter().map(run_json).collect())),
            ListFormat::Text => print!("{}", runs_table(&runs)),
        }
        Ok(EXIT_OK)
    })
}

/// `iarss warnings`.
pub fn warnings(
    db: Option<&str>,
    page: Option<&str>,
    article: Option<&str>,
    format: ListFormat,
) -> CliResult {
    with_store(db, |store| async move {
        let rows = store.warnings(page, article).await?;
        match format {
            ListFormat::Json => print_json(&Value::Array(
                rows.iter()
                    .map(|w| {
                        json!({
                            "run_id": w.run_id,
                            "page_id": w.page_id,
                            "canonical_url": w.canonical_url,
                            "rule": w.rule,
                            "severity": w.severity,
                            "message": w.message,
                            "line": w.line,
                            "column": w.column,
                            "created_at": rfc3339(w.created_at),
                            "first_run_id": w.first_run_id,
                            "last_seen_at": rfc3339(w.last_seen_at),
                            "occurrences": w.occurrences,
                        })
                    })
                    .collect(),
            )),
            ListFormat::Text => {
                let mut table = Table::new(&[
                    "run", "severity", "rule", "article", "position", "seen", "message",
                ]);
                for w in &rows {
                    table.row(vec![
                        w.run_id.to_string(),
                        w.severity.clone(),
                        w.rule.clone(),
                        w.canonical_url
                            .clone()
                            .unwrap_or_else(|| format!("(feed of page {})", w.page_id)),
                        position(w.line, w.column),
                        format!("{}×", w.occurrences),
                        w.message.clone(),
                    ]);
                }
                print!("{}", table.render("no warnings or errors recorded"));
            }
        }
        Ok(EXIT_OK)
    })
}

async fn page_json(store: &Store, p: &Page) -> Result<Value, StoreError> {
    let state = store
        .feed_state(&p.id, FeedKind::Production)
        .await?
        .unwrap_or_default();
    // What the run log says last, so `pages list` and `runs` agree.
    let last_outcome = match store.last_run(&p.id, FeedKind::Production).await? {
        Some(run) => Some(run.outcome.as_str().to_string()),
        None => state.last_outcome,
    };
    Ok(json!({
        "page_id": p.id,
        "name": p.name,
        "domain": p.domain.as_str(),
        "feed_url": p.feed_url,
        "dev_feed_url": p.dev_feed_url,
        "enabled": p.enabled,
        "next_due_at": time(state.next_due_at),
        "last_outcome": last_outcome,
        "consecutive_failures": state.consecutive_failures,
    }))
}

/// `iarss pages …`.
pub fn pages(db: Option<&str>, cmd: PagesCommand) -> CliResult {
    with_store(db, |store| async move { pages_on(&store, cmd).await })
}

async fn pages_on(store: &Store, cmd: PagesCommand) -> CliResult {
    match cmd {
        PagesCommand::Add {
            id,
            domain,
            feed,
            dev_feed,
            name,
        } => {
            let domain = Domain::parse(&domain).map_err(|e| CliError::usage(e.to_string()))?;
            let page = NewPage {
                name: name.unwrap_or_else(|| id.clone()),
                id,
                domain,
                feed_url: Some(feed),
                dev_feed_url: dev_feed,
                enabled: true,
            };
            let added = store.add_page(&page).await?;
            println!("page `{}` added for {}", added.id, added.domain);
        }
        PagesCommand::List { format } => {
            let pages = store.pages().await?;
            let mut rows = Vec::new();
            for p in &pages {
                rows.push(page_json(store, p).await?);
            }
            match format {
                ListFormat::Json => print_json(&Value::Array(rows)),
                ListFormat::Text => {
                    let mut table = Table::new(&[
                        "page",
                        "domain",
                        "state",
                        "last outcome",
                        "failures",
                        "feed",
                    ]);
                    for r in &rows {
                        let text = |key: &str| r[key].as_str().unwrap_or("-").to_string();
                        table.row(vec![
                            text("page_id"),
                            text("domain"),
                            if r["enabled"].as_bool().unwrap_or(false) {
                                "enabled".into()
                            } else {
                                "disabled".into()
                            },
                            text("last_outcome"),
                            r["consecutive_failures"].to_string(),
                            text("feed_url"),
                        ]);
                    }
                    print!(
                        "{}",
                        table.render("no pages yet: add one with `iarss pages add`")
                    );
                }
            }
        }
        PagesCommand::Show { id, format } => {
            let page = store
                .page(&id)
                .await?
                .ok_or_else(|| StoreError::NoSuchPage(id.clone()))?;
            let mut v = page_json(store, &page).await?;
            let dev = store.feed_state(&page.id, FeedKind::Development).await?;
            if let Value::Object(map) = &mut v {
                map.insert(
                    "development".into(),
                    dev.map_or(Value::Null, |s| {
                        json!({"last_outcome": s.last_outcome, "consecutive_failures": s.consecutive_failures, "next_due_at": time(s.next_due_at)})
                    }),
                );
            }
            match format {
                ListFormat::Json => print_json(&v),
                ListFormat::Text => {
                    if let Value::Object(map) = &v {
                        for (k, val) in map {
                            println!(
                                "{k:<22} {}",
                                if val.is_string() {
                                    val.as_str().unwrap_or_default().to_string()
                                } else {
                                    val.to_string()
                                }
                            );
                        }
                    }
                }
            }
        }
        PagesCommand::Remove { id, with_articles } => {
            store.remove_page(&id, with_articles).await?;
            println!("page `{id}` removed");
        }
        PagesCommand::Enable { id } => {
            store.set_enabled(&id, true).await?;
            println!("page `{id}` enabled");
        }
        PagesCommand::Disable { id } => {
            store.set_enabled(&id, false).await?;
            println!("page `{id}` disabled");
        }
        PagesCommand::FetchNow { id } => {
            store.fetch_now(&id).await?;
            println!("page `{id}` is due now");
        }
    }
    Ok(EXIT_OK)
}

/// `iarss articles …`.
pub fn articles(db: Option<&str>, cmd: ArticlesCommand) -> CliResult {
    with_store(db, |store| async move { articles_on(&store, cmd).await })
}

async fn articles_on(store: &Store, cmd: ArticlesCommand) -> CliResult {
    match cmd {
        ArticlesCommand::List { page, format } => {
            let rows = store.articles(page.as_deref()).await?;
            match format {
                ListFormat::Json => print_json(&Value::Array(
                    rows.iter()
                        .map(|a| {
                            json!({
                                "canonical_url": a.canonical_url,
                                "page_id": a.page_id,
                                "title": a.title,
                                "status": a.status.as_str(),
                                "op_published": time(a.op_published),
                                "op_modified": time(a.op_modified),
                                "first_ingested_at": rfc3339(a.first_ingested_at),
                                "updated_at": rfc3339(a.updated_at),
                            })
                        })
                        .collect(),
                )),
                ListFormat::Text => {
                    let mut table =
                        Table::new(&["status", "page", "updated", "canonical URL", "title"]);
                    for a in &rows {
                        table.row(vec![
                            a.status.to_string(),
                            a.page_id.clone(),
                            rfc3339(a.updated_at),
                            a.canonical_url.clone(),
                            a.title.clone().unwrap_or_default(),
                        ]);
                    }
                    print!(
                        "{}",
                        table.render("no articles stored yet: run `iarss ingest` or the daemon")
                    );
                }
            }
        }
        ArticlesCommand::Show { url } => {
            let a = store
                .article(&url)
                .await?
                .ok_or_else(|| StoreError::NoSuchArticle(url.clone()))?;
            println!("canonical_url      {}", a.canonical_url);
            println!("page_id            {}", a.page_id);
            println!("status             {}", a.status);
            println!("title              {}", a.title.as_deref().unwrap_or(""));
            println!(
                "op_published       {}",
                a.op_published.map(rfc3339).unwrap_or_default()
            );
            println!(
                "op_modified        {}",
                a.op_modified.map(rfc3339).unwrap_or_default()
            );
            println!("revision           {}", a.revision);
            println!("first_ingested_at  {}", rfc3339(a.first_ingested_at));
            println!("updated_at         {}", rfc3339(a.updated_at));
            println!("\n{}", a.html.unwrap_or_default());
        }
        ArticlesCommand::Delete { url } => {
            store.delete_article(&url).await?;
            println!("article `{url}` deleted");
        }
    }
    Ok(EXIT_OK)
}
