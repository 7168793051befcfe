//! `iarss ingest`: one feed run from the command line.

use std::str::FromStr;

use serde_json::{Value, json};

use super::args::{IngestArgs, ListFormat};
use super::error::{CliError, CliResult};
use super::output::records;
use super::store_cmds::open_store;
use super::{EXIT_FAILURE, EXIT_OK};
use crate::ingest::{FeedSource, RunOptions, RunResult, run_feed};
use crate::model::Domain;
use crate::store::{FeedKind, NewPage, Page, Store, StoreError};

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
            crate::ingest::record_refusal(
                &store,
                &page,
                &source.display(),
                kind,
                &e.to_string(),
                &options,
            )
            .await
        } else {
            run_feed(&store, &page, &source, kind, &options).await
        };
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
            Err(e) => Err(e.into()),
        }
    })
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

fn result_json(result: &RunResult) -> Value {
    let mut run = records::run(&result.run);
    let diagnostics: Vec<Value> = result
        .diagnostics
        .iter()
        .map(|d| {
            json!({
                "rule": d.rule.as_str(),
                "severity": d.rule.severity().as_str(),
                "message": d.message,
                "line": d.line,
                "column": d.column,
                "help": format!("see `iarss explain {}`", d.rule.as_str()),
                "canonical_url": d.canonical_url,
            })
        })
        .collect();
    if let Value::Object(map) = &mut run {
        map.insert("diagnostics".into(), Value::Array(diagnostics));
    }
    run
}

fn result_text(result: &RunResult) -> String {
    let r = &result.run;
    let mut out = format!(
        "run {} · page {} · {} feed {}\noutcome {}{} · {} item(s): {} · {} bytes · {} ms\n",
        r.id.unwrap_or_default(),
        r.page_id,
        r.feed.as_str(),
        r.feed_url,
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
