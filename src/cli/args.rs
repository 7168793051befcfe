//! The command line as clap reads it.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Ingests Instant Articles from RSS feeds, and lints them before they are published.
#[derive(Debug, Parser)]
#[command(name = "iarss", version, about, after_help = MAIN_HELP)]
pub struct Cli {
    /// Database URL (`sqlite://iarss.db`, `postgres://…`).
    #[arg(long, global = true, env = "IARSS_DATABASE_URL")]
    pub db: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

const MAIN_HELP: &str = "\
Examples:
  iarss lint feed.xml --domain example.com     check a feed before publishing it
  iarss ingest --feed feed.xml --domain example.com
                                               one run into ./iarss.db (SQLite)
  iarss daemon --config daemon.toml            fetch every page's feeds on schedule
  iarss explain figure-in-paragraph            what a rule means and how to fix it

Every command opens `sqlite://iarss.db` unless --db or IARSS_DATABASE_URL says otherwise.
Exit codes: 0 success, 1 failure (lint errors, a failed run), 2 bad usage or unreadable input.
The documentation is in docs/ of the source repository (cli.md, ingestion.md, configuration.md, rules.md).";

const LINT_HELP: &str = "\
Examples:
  iarss lint feed.xml                              text output with code frames
  iarss lint feed.xml --domain example.com         canonical URLs must be on the page's domain
  iarss lint a.xml article.html https://host/feed  several inputs
  curl -s https://host/feed | iarss lint -         standard input
  iarss lint feed.xml --format sarif > iarss.sarif for GitHub code scanning
  iarss lint feed.xml --format json                the stable JSON contract (version 1)

Exit codes:
  0  no error-severity diagnostic (with --deny-warnings: no diagnostic at all)
  1  at least one, feed-level errors included
  2  bad arguments, or an input that cannot be opened (with several inputs: the highest)";

const INGEST_HELP: &str = "\
Examples:
  iarss ingest --feed https://example.com/ia.rss --page news
  iarss ingest --feed feed.xml --domain example.com     creates the page if needed (disabled)
  iarss ingest --feed dev.xml --page news --development articles become drafts
  iarss ingest --feed feed.xml --page news --format json

Exit codes:
  0  the run completed (outcome ok or not_modified, even with rejected articles)
  1  the run failed (fetch_error, timeout, too_large, parse_error, parse_budget_exceeded,
     store_error, internal_error); the run is recorded all the same
  2  could not run (bad arguments, unknown page)";

const LIST_HELP: &str = "\
Exit codes: 0 success, 1 the store cannot be opened or an object does not exist, 2 bad usage.";

const DAEMON_HELP: &str = "\
Examples:
  iarss daemon                                   SQLite ./iarss.db, 127.0.0.1:8080
  iarss daemon --config /etc/iarss/daemon.toml
  IARSS_SCHEDULE_INTERVAL=5m iarss daemon        any key as IARSS_<SECTION>_<KEY>
  iarss daemon --config daemon.toml --print-config

HTTP: /healthz (alive), /readyz (store answers and takes writes, commits succeed, loop alive),
/metrics (Prometheus), /api/v1 (the API, docs/api.md), / (the web pages, after /login).
Exit codes: 0 stopped by SIGTERM or Ctrl-C, 1 could not start (store, listener), 2 bad configuration.";

const SERVE_HELP: &str = "\
Examples:
  iarss serve                                    the API over ./iarss.db on 127.0.0.1:8080
  iarss serve --config daemon.toml --listen 127.0.0.1:8081

The same configuration as `iarss daemon`; nothing is fetched. HTTP: /api/v1 (the API,
docs/api.md), /healthz, /readyz, /metrics.
Exit codes: 0 stopped by SIGTERM or Ctrl-C, 1 could not start (store, listener), 2 bad configuration.";

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check feeds or article files against the Instant Articles rules.
    #[command(after_help = LINT_HELP)]
    Lint(LintArgs),
    /// List every rule: id, severity, summary.
    #[command(
        after_help = "Example:\n  iarss rules --format json | jq '.[] | select(.severity == \"error\") | .id'"
    )]
    Rules {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Show a rule's documentation.
    Explain {
        /// The rule id, e.g. `figure-in-paragraph`.
        rule: String,
    },
    /// Fetch (or read) one feed, validate it and store its articles: one run.
    #[command(after_help = INGEST_HELP)]
    Ingest(IngestArgs),
    /// Manage publisher pages.
    #[command(
        subcommand,
        after_help = "Examples:\n  iarss pages add --id news --domain example.com --feed https://example.com/ia.rss\n  iarss pages list\n  iarss pages fetch-now news"
    )]
    Pages(PagesCommand),
    /// Stored articles.
    #[command(
        subcommand,
        after_help = "Examples:\n  iarss articles list --page news\n  iarss articles show https://example.com/2026/11/story"
    )]
    Articles(ArticlesCommand),
    /// Feed runs, newest first.
    #[command(after_help = LIST_HELP)]
    Runs {
        /// Only this page's runs.
        #[arg(long)]
        page: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// The warnings log, newest first.
    #[command(
        after_help = "Example: why an article did not show or did not update:\n  iarss warnings --article https://example.com/2026/11/story"
    )]
    Warnings {
        /// Only this page's.
        #[arg(long)]
        page: Option<String>,
        /// Only this article's (canonical URL).
        #[arg(long)]
        article: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// User accounts of the web pages and the API.
    #[command(subcommand, after_help = USERS_HELP)]
    Users(UsersCommand),
    /// API tokens: created for a user, shown once, revoked.
    #[command(subcommand, after_help = TOKENS_HELP)]
    Tokens(TokensCommand),
    /// The audit log: every manual action and failed login, newest first.
    #[command(after_help = AUDIT_HELP)]
    Audit {
        /// At most this many rows.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Only rows older than this id (the next screen after `--limit` rows).
        #[arg(long, value_name = "ID")]
        before: Option<i64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Run the service: fetch every enabled page's feeds on schedule; health, metrics and
    /// web pages and the API over HTTP.
    #[command(after_help = DAEMON_HELP)]
    Daemon(DaemonArgs),
    /// Serve the HTTP API, health and metrics without fetching any feed (a read-mostly
    /// replica next to daemons on one PostgreSQL, or the API over a SQLite file).
    #[command(after_help = SERVE_HELP)]
    Serve(DaemonArgs),
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  iarss completions bash > /etc/bash_completion.d/iarss")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    #[command(after_help = "Example:\n  iarss man > /usr/local/share/man/man1/iarss.1")]
    Man,
}

/// `iarss daemon` arguments.
#[derive(Debug, clap::Args)]
pub struct DaemonArgs {
    /// TOML configuration file.
    #[arg(long)]
    pub config: Option<String>,
    /// HTTP address for the API, the web pages, health and metrics.
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    /// Print the effective configuration (secrets masked) and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// `iarss ingest` arguments.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["page", "domain"])))]
pub struct IngestArgs {
    /// The feed: an http(s) URL or a path.
    #[arg(long)]
    pub feed: String,
    /// The page to ingest for.
    #[arg(long)]
    pub page: Option<String>,
    /// The page with this domain (created, disabled, if there is none).
    #[arg(long)]
    pub domain: Option<String>,
    /// The feed is the page's development feed: articles are drafts.
    #[arg(long)]
    pub development: bool,
    /// Send the stored ETag / Last-Modified.
    #[arg(long)]
    pub conditional: bool,
    /// Refuse to fetch from loopback and private networks.
    #[arg(long)]
    pub deny_private_networks: bool,
    /// Show what the run would do to each item, and write nothing (no run, no article,
    /// no warning, no feed state; a page named by `--domain` is not created).
    #[arg(long, conflicts_with = "conditional")]
    pub dry_run: bool,
    /// Time zone for datetimes without an offset (IANA name).
    #[arg(
        long,
        env = "IARSS_VALIDATE_DEFAULT_TIMEZONE",
        default_value = crate::model::DEFAULT_ZONE_NAME
    )]
    pub default_timezone: String,
    /// Days a warning is kept after it was last seen, and a run after it started (0: keep forever).
    #[arg(long, env = "IARSS_STORE_RETENTION_DAYS", default_value_t = 30)]
    pub retention_days: u64,
    /// Largest feed read, in bytes, from a file or a URL (larger is `feed-too-large`).
    #[arg(long, env = "IARSS_FETCH_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BYTES)]
    pub max_bytes: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

/// `iarss pages …`.
#[derive(Debug, Subcommand)]
pub enum PagesCommand {
    /// Register a page.
    Add {
        /// Its id.
        #[arg(long)]
        id: String,
        /// Its domain (one page per domain).
        #[arg(long)]
        domain: String,
        /// Production feed URL.
        #[arg(long)]
        feed: String,
        /// Development feed URL.
        #[arg(long)]
        dev_feed: Option<String>,
        /// Display name (default: the id).
        #[arg(long)]
        name: Option<String>,
    },
    /// List pages with their feeds' last outcome.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Show one page.
    Show {
        /// The page id.
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Remove a page (refused while it has articles, unless --with-articles).
    Remove {
        /// The page id.
        id: String,
        /// Also delete its articles and warnings.
        #[arg(long)]
        with_articles: bool,
    },
    /// Let the daemon fetch the page.
    Enable {
        /// The page id.
        id: String,
    },
    /// Stop fetching the page.
    Disable {
        /// The page id.
        id: String,
    },
    /// Make the page's feeds due now.
    FetchNow {
        /// The page id.
        id: String,
    },
}

const USERS_HELP: &str = "\
Examples:
  iarss users add ops@example.com --operator           asks for the password twice
  iarss users add ed@example.com --page news sport     a publisher of two pages
  printf '%s\\n' \"$PASSWORD\" | iarss users add ed@example.com --page news --password-stdin
  iarss users list --format json
  iarss users pages ed@example.com --add weather
  iarss users remove ed@example.com                    its tokens and sessions go too
  iarss users passwd ed@example.com                    a new password; its sessions end

E-mail addresses are compared case-insensitively. Passwords: at least 8 characters, never
an argument. Every change is written to the audit log (actor `cli`).
Exit codes: 0 success, 1 no such user or page, the user exists, the store failed,
2 bad usage (a malformed address, a short password, no terminal without --password-stdin).";

const TOKENS_HELP: &str = "\
Examples:
  iarss tokens create --user ed@example.com --name ci  prints the token, once
  TOKEN=$(iarss tokens create --user ed@example.com)
  curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8080/api/v1/pages
  iarss tokens list --user ed@example.com
  iarss tokens revoke 3

A token acts with its user's rights; only its SHA-256 is stored.
Exit codes: 0 success, 1 no such user or token, or the store failed, 2 bad usage.";

const AUDIT_HELP: &str = "\
Examples:
  iarss audit                                 the 50 newest rows
  iarss audit --limit 200 --format json
  iarss audit --before 1234                   the rows before id 1234

Exit codes: 0 success, 1 the store cannot be opened, 2 bad usage.";

/// `iarss users …`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user: an operator, or a publisher of some pages.
    #[command(group(clap::ArgGroup::new("role").required(true).args(["operator", "pages"])))]
    Add {
        /// The e-mail address it logs in with.
        email: String,
        /// An operator: every page, every user and token.
        #[arg(long)]
        operator: bool,
        /// A publisher, member of these pages.
        #[arg(long = "page", value_name = "ID", num_args = 1..)]
        pages: Vec<String>,
        /// Read the password from standard input (else it is asked for on the terminal).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users with their role and pages.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Set a user's password (asked for twice, or from --password-stdin); every session of
    /// the user ends.
    Passwd {
        /// Its e-mail address.
        email: String,
        /// Read the password from standard input (else it is asked for on the terminal).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove a user, with its tokens and sessions.
    Remove {
        /// Its e-mail address.
        email: String,
    },
    /// Make a publisher a member of a page, or end a membership.
    #[command(group(clap::ArgGroup::new("change").required(true).args(["add", "remove"])))]
    Pages {
        /// The publisher's e-mail address.
        email: String,
        /// Make it a member of this page.
        #[arg(long, value_name = "ID")]
        add: Option<String>,
        /// End its membership of this page.
        #[arg(long, value_name = "ID")]
        remove: Option<String>,
    },
}

/// `iarss tokens …`.
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create an API token for a user and print it (this once only).
    Create {
        /// The user it acts as.
        #[arg(long, value_name = "EMAIL")]
        user: String,
        /// A name to recognise it by (where it is used).
        #[arg(long)]
        name: Option<String>,
        /// Output format: the token alone on its line, or a JSON object with it.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// List tokens (never their values), revoked ones included.
    List {
        /// Only this user's.
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Revoke a token: it authenticates nothing from now on.
    Revoke {
        /// Its id (`iarss tokens list`).
        id: i64,
    },
}

/// `iarss articles …`.
#[derive(Debug, Subcommand)]
pub enum ArticlesCommand {
    /// List stored articles.
    List {
        /// Only this page's.
        #[arg(long)]
        page: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Show one article with its HTML.
    Show {
        /// Its canonical URL.
        url: String,
    },
    /// Delete one article.
    Delete {
        /// Its canonical URL.
        url: String,
    },
}

/// `iarss lint` arguments.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Paths, http(s) URLs, or `-` for standard input (the default).
    pub inputs: Vec<String>,
    /// The page's domain: canonical URLs must be on it or a subdomain.
    #[arg(long)]
    pub domain: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Refuse to fetch URLs on loopback and private networks.
    #[arg(long)]
    pub deny_private_networks: bool,
    /// Time zone for datetimes without an offset (IANA name).
    #[arg(
        long,
        env = "IARSS_VALIDATE_DEFAULT_TIMEZONE",
        default_value = crate::model::DEFAULT_ZONE_NAME
    )]
    pub default_timezone: String,
    /// Threads used to check articles (0 = one per core; at most 256).
    #[arg(long, default_value_t = 1, value_parser = parse_threads)]
    pub threads: usize,
    /// Largest input read, in bytes, from a file, standard input or a URL (larger is
    /// `feed-too-large`).
    #[arg(long, env = "IARSS_FETCH_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BYTES)]
    pub max_bytes: u64,
    /// Write the output here instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

/// The size cap of an input: the same as a download's (`fetch.max_body_bytes`).
pub const DEFAULT_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// More check threads than this only cost memory and start-up time.
pub const MAX_THREADS: usize = 256;

fn parse_threads(s: &str) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of threads"))?;
    if n > MAX_THREADS {
        return Err(format!(
            "{n} threads is more than the {MAX_THREADS} allowed (0 uses one per core)"
        ));
    }
    Ok(n)
}

pub use crate::report::LintFormat;

/// Formats of listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table for people.
    Text,
    /// JSON.
    Json,
}
