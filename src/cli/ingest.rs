//! `iarss ingest`: one feed run from the command line.

use std::str::FromStr;

use super::args::{IngestArgs, ListFormat};
use super::error::{CliError, CliResult};
use super::store_cmds::open_store;
use super::{EXIT_FAILURE, EXIT_OK};
use crate::ingest::{DryRun, FeedSource, RunOptions, RunResult, dry_run_source, run_feed};
use crate::model::Domain;
use crate::service::views::{RunDetail, RunDiagnosticView, RunView};
use crate::store::{FeedKind, NewPage, Page, RunOutcome, Store, StoreError};

/// Runs `iarss ingest`.
pub fn run(db: Option<&str>, args: IngestArgs) -> CliResult {
    let zone = chrono_tz::Tz::from_str(&args.default_timezone).map_err(|_| {
        CliError::usage(format!(
            "`{}` is not an IANA time zone",
            args.default_timezone
        ))
    })?;
    let domain = args
        .domain
        .as_deref()
        .map(Domain::parse)
        .transpose()
        .map_err(|e| CliError::usage(e.to_string()))?;
    let (runtime, store) = open_store(db)?;
    let kind = if args.development {
        FeedKind::Development
    } else {
        FeedKind::Production
    };
    let source = FeedSource::parse(&args.feed);
    if args.dry_run {
        return runtime.block_on(dry_run(&store, &args, domain, kind, zone, &source));
    }
    runtime.block_on(async {
        let page = match resolve_page(&store, &args, domain, kind).await {
            Ok(p) => p,
            Err(StoreError::NoSuchPage(id)) => {
                return Err(CliError::usage(format!(
                    "no page `{id}` (see `iarss pages list`)"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let options = RunOptions {
            fetch: crate::fetch::FetchConfig {
                max_body_bytes: args.max_bytes,
                // The guard then holds on every redirect hop and resolved address.
                allow_private_networks: !args.deny_private_networks,
                ..Default::default()
            },
            zone,
            conditional: args.conditional,
            retention: (args.retention_days > 0)
                .then(|| std::time::Duration::from_secs(args.retention_days * 24 * 3600)),
            ..RunOptions::default()
        };
        let result = if args.deny_private_networks
            && let FeedSource::Url(url) = &source
            && let Err(e) = crate::fetch::refuse_private(url).await
        {
            crate::ingest::record_refusal(&store, &page, &source.display(), kind, &e.to_string())
                .await
        } else {
            run_feed(&store, &page, &source, kind, &options).await
        };
        if result.is_ok()
            && let Some(retention) = options.retention
            && let Err(e) = store.prune_logs(retention.as_millis() as i64).await
        {
            tracing::warn!(error = %e, "pruning the logs failed");
        }
        match result {
            Ok(result) => Ok({
                match args.format {
                    ListFormat::Json => println!(
                        "{}",
                        serde_json::to_string_pretty(&result_json(&result)).unwrap_or_default()
                    ),
                    ListFormat::Text => print!("{}", result_text(&result)),
                }
                if result.run.outcome.is_success() {
                    EXIT_OK
                } else {
                    EXIT_FAILURE
                }
            }),
            // The run could not run (cli.md: exit 2): nothing was recorded.
            Err(e @ StoreError::Busy { .. }) => Err(CliError::usage(format!(
                "{e}; the run was not recorded: try again later"
            ))),
            Err(e) => Err(e.into()),
        }
    })
}

/// `--dry-run`: what the run would do, writing nothing.
async fn dry_run(
    store: &Store,
    args: &IngestArgs,
    domain: Option<Domain>,
    kind: FeedKind,
    zone: chrono_tz::Tz,
    source: &FeedSource,
) -> CliResult {
    let page = match (&args.page, domain) {
        (Some(id), _) => store
            .page(id)
            .await?
            .ok_or_else(|| CliError::usage(format!("no page `{id}` (see `iarss pages list`)")))?,
        (None, Some(domain)) => match store.page_by_domain(&domain).await? {
            Some(page) => page,
            // What the real run would create, not stored.
            None => Page {
                id: domain.to_string(),
                name: args.domain.clone().unwrap_or_else(|| domain.to_string()),
                domain,
                feed_url: None,
                dev_feed_url: None,
                enabled: false,
            },
        },
        (None, None) => return Err(CliError::usage("give --page or --domain")),
    };
    let options = RunOptions {
        fetch: crate::fetch::FetchConfig {
            max_body_bytes: args.max_bytes,
            allow_private_networks: !args.deny_private_networks,
            ..Default::default()
        },
        zone,
        ..RunOptions::default()
    };
    let dry = if args.deny_private_networks
        && let FeedSource::Url(url) = source
        && let Err(e) = crate::fetch::refuse_private(url).await
    {
        DryRun::refused(&page, kind, url, &e.to_string())
    } else {
        dry_run_source(store, &page, kind, source, &options)
            .await
            .map_err(|e| match e {
                crate::ingest::DryRunError::Store(e) => CliError::from(e),
                other => CliError {
                    code: EXIT_FAILURE,
                    message: other.to_string(),
                },
            })?
    };
    match args.format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&dry).unwrap_or_default()),
        ListFormat::Text => print!("{}", dry_run_text(&dry)),
    }
    Ok(if dry.outcome == RunOutcome::Ok {
        EXIT_OK
    } else {
        EXIT_FAILURE
    })
}

/// A dry run as text: the feed, one line per item (what it would do and why), the counts.
fn dry_run_text(dry: &DryRun) -> String {
    let mut out = format!(
        "dry run · page {} · {} feed {}\noutcome {}{} · {} item(s) · {} bytes\n",
        dry.page_id,
        dry.feed,
        dry.feed_url.as_deref().unwrap_or("-"),
        dry.outcome,
        dry.http_status
            .map(|s| format!(" (HTTP {s})"))
            .unwrap_or_default(),
        dry.counts.items,
        dry.bytes,
    );
    for d in &dry.diagnostics {
        out.push_str(&format!(
            "{}[{}] feed: {}\n",
            d.severity(),
            d.rule.as_str(),
            d.message
        ));
    }
    for item in &dry.items {
        let would = serde_json::to_value(item.would)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        out.push_str(&format!(
            "item {:<4} {:<10} {}{}\n",
            item.index,
            would,
            item.canonical_url
                .as_deref()
                .unwrap_or("(no canonical URL)"),
            item.reason
                .map(|r| format!(" ({})", r.as_str()))
                .unwrap_or_default(),
        ));
    }
    out.push_str(&format!("would be: {}; nothing was written\n", dry.counts));
    out
}

async fn resolve_page(
    store: &Store,
    args: &IngestArgs,
    domain: Option<Domain>,
    kind: FeedKind,
) -> Result<Page, StoreError> {
    if let Some(id) = &args.page {
        return store
            .page(id)
            .await?
            .ok_or_else(|| StoreError::NoSuchPage(id.clone()));
    }
    let domain = domain.ok_or_else(|| StoreError::NoSuchPage(String::new()))?;
    if let Some(page) = store.page_by_domain(&domain).await? {
        return Ok(page);
    }
    let url =
        matches!(FeedSource::parse(&args.feed), FeedSource::Url(_)).then(|| args.feed.clone());
    let new = NewPage {
        id: domain.to_string(),
        name: args.domain.clone().unwrap_or_else(|| domain.to_string()),
        domain,
        feed_url: if kind == FeedKind::Production {
            url.clone()
        } else {
            None
        },
        dev_feed_url: if kind == FeedKind::Development {
            url
        } else {
            None
        },
        enabled: false,
    };
    store.add_page(&new).await
}

/// The run as `GET /runs/{id}` shows it, with each diagnostic's article.
fn result_json(result: &RunResult) -> RunDetail {
    RunDetail {
        run: RunView::from(&result.run),
        diagnostics: result
            .diagnostics
            .iter()
            .map(RunDiagnosticView::from)
            .collect(),
    }
}

fn result_text(result: &RunResult) -> String {
    let r = &result.run;
    let mut out = format!(
        "run {} · page {} · {} feed {}\noutcome {}{} · {} item(s): {} · {} bytes · {} ms\n",
        r.id.unwrap_or_default(),
        r.page_id,
        r.feed.as_str(),
        crate::model::mask_url(&r.feed_url),
        r.outcome.as_str(),
        r.http_status
            .map(|s| format!(" (HTTP {s})"))
            .unwrap_or_default(),
        r.counts.items,
        r.counts,
        r.bytes,
        r.finished_at - r.started_at,
    );
    for d in &result.diagnostics {
        let at = match (d.line, d.column) {
            (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{}[{}] {}{}: {}\n",
            d.rule.severity(),
            d.rule.as_str(),
            d.canonical_url.as_deref().unwrap_or("feed"),
            at,
            d.message
        ));
    }
    out
}
