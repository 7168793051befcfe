//! The command line as clap reads it.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Ingests Instant Articles from RSS feeds, and lints them before they are published.
#[derive(Debug, Parser)]
#[command(name = "iarss", version, about)]
pub struct Cli {
    /// Database URL (`sqlite://iarss.db`, `postgres://…`).
    #[arg(long, global = true, env = "IARSS_DATABASE_URL")]
    pub db: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check feeds or article files against the Instant Articles rules.
    Lint(LintArgs),
    /// List every rule: id, severity, summary.
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
        default_value = "America/Los_Angeles"
    )]
    pub default_timezone: String,
    /// Threads used to check articles (0 = one per core).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Write the output here instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

/// Formats of `lint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// rustc-style diagnostics with code frames and a verdict summary.
    Text,
    /// The stable JSON contract (version 1).
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitHub Actions workflow commands.
    Github,
}

/// Formats of listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table for people.
    Text,
    /// JSON.
    Json,
}
