//! The store commands: `pages`, `articles`, `runs`, `warnings`, `migrate`, and opening the
//! store for them (`--db`, `IARSS_DATABASE_URL`, else `sqlite://iarss.db`).

use tokio::runtime::Runtime;

use super::EXIT_OK;
use super::args::{ArticlesCommand, ListFormat, PagesCommand};
use super::error::{CliError, CliResult};
use super::output::table::Table;
use crate::model::Domain;
use crate::service::views::{ArticleRecord, PageView, RunView, WarningView};
use crate::store::{
    DEFAULT_DATABASE_URL, FeedRun, NewPage, OVERVIEW_PAGE, PageOverview, Store, StoreError, rfc3339,
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
    F: Future<Output = CliResult>,
{
    let (runtime, store) = open_store(db)?;
    let result = runtime.block_on(command(store.clone()));
    runtime.block_on(store.close());
    result
}

/// A diagnostic's position in words, or `-` for a feed-level one.
fn position(line: Option<i64>, column: Option<i64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}"),
        (Some(l), None) => format!("line {l}"),
        _ => "-".into(),
    }
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
            r.counts.to_string(),
            r.error.clone().unwrap_or_else(|| r.feed_url.clone()),
        ]);
    }
    table.render("no runs recorded yet")
}

fn print_json<T: serde::Serialize + ?Sized>(v: &T) {
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
            ListFormat::Json => print_json(&runs.iter().map(RunView::from).collect::<Vec<_>>()),
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
            ListFormat::Json => print_json(&rows.iter().map(WarningView::from).collect::<Vec<_>>()),
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

/// Pages as every output shows them, with their article counts (a constant number of
/// statements per 500 pages).
async fn page_views(
    store: &Store,
    overviews: Vec<PageOverview>,
) -> Result<Vec<PageView>, StoreError> {
    let ids: Vec<String> = overviews.iter().map(|o| o.page.id.clone()).collect();
    let mut counts = store.article_counts(&ids).await?;
    let items = store.feed_item_counts(&ids).await?;
    Ok(overviews
        .iter()
        .map(|o| PageView::of(o, counts.remove(&o.page.id)).with_item_counts(items.get(&o.page.id)))
        .collect())
}

/// `-` for nothing.
fn or_dash(v: Option<impl ToString>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// One page as `pages show` prints it: a field per line.
fn page_text(p: &PageView) -> String {
    let mut fields = vec![
        ("page", p.page_id.clone()),
        ("name", p.name.clone()),
        ("domain", p.domain.clone()),
        (
            "state",
            if p.enabled { "enabled" } else { "disabled" }.to_string(),
        ),
        ("feed", or_dash(p.feed_url.as_deref())),
        ("last outcome", or_dash(p.last_outcome)),
        ("failures in a row", p.consecutive_failures.to_string()),
        ("next due", or_dash(p.next_due_at)),
        ("development feed", or_dash(p.dev_feed_url.as_deref())),
    ];
    if let Some(d) = &p.feeds.development {
        fields.push(("dev last outcome", or_dash(d.last_outcome)));
        fields.push(("dev failures", d.consecutive_failures.to_string()));
        fields.push(("dev next due", or_dash(d.next_due_at)));
    }
    fields.push((
        "articles",
        format!(
            "{} live, {} draft, {} with errors, {} with warnings",
            p.articles.live, p.articles.draft, p.articles.with_errors, p.articles.with_warnings
        ),
    ));
    fields
        .iter()
        .map(|(k, v)| format!("{k:<18} {v}\n"))
        .collect()
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
            // A constant number of statements per 500 pages, whatever the store holds.
            let mut rows: Vec<PageView> = Vec::new();
            loop {
                let after = rows.last().map(|r| r.page_id.clone());
                let batch = store
                    .page_overviews(after.as_deref(), OVERVIEW_PAGE)
                    .await?;
                let full = batch.len() as i64 == OVERVIEW_PAGE;
                rows.extend(page_views(store, batch).await?);
                if !full {
                    break;
                }
            }
            match format {
                ListFormat::Json => print_json(&rows),
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
                        table.row(vec![
                            r.page_id.clone(),
                            r.domain.clone(),
                            if r.enabled { "enabled" } else { "disabled" }.into(),
                            or_dash(r.last_outcome),
                            r.consecutive_failures.to_string(),
                            or_dash(r.feed_url.as_deref()),
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
            let overview = store
                .page_overviews_in(Some(std::slice::from_ref(&id)), None, 1, false)
                .await?
                .pop()
                .ok_or_else(|| StoreError::NoSuchPage(id.clone()))?;
            let view = page_views(store, vec![overview])
                .await?
                .pop()
                .ok_or_else(|| StoreError::NoSuchPage(id.clone()))?;
            match format {
                ListFormat::Json => print_json(&view),
                ListFormat::Text => print!("{}", page_text(&view)),
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
                ListFormat::Json => {
                    print_json(&rows.iter().map(ArticleRecord::from).collect::<Vec<_>>());
                }
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
            let page = store
                .article_heads(&[url.as_str()])
                .await?
                .remove(&url)
                .map(|head| head.page_id)
                .ok_or_else(|| StoreError::NoSuchArticle(url.clone()))?;
            store.delete_article(&page, &url).await?;
            println!("article `{url}` deleted");
        }
    }
    Ok(EXIT_OK)
}
