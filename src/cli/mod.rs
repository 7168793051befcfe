//! The command line: clap arguments ([`args`]) become typed requests, one file per
//! command, and [`output`] renders results; [`error`] is the one error path.

pub mod access_cmds;
pub mod args;
pub mod daemon;
pub mod error;
pub mod ingest;
pub mod lint;
pub mod output;
pub mod rules;
pub mod store_cmds;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use error::CliError;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: failure (lint found errors; a run failed; another failure).
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: bad usage or unreadable input.
pub const EXIT_USAGE: u8 = 2;

/// Parses the command line, runs the command and returns its exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Daemon(_) | Command::Serve(_)) {
        init_tracing(false, "warn", false);
    }
    let db = cli.db.as_deref();
    let result = match cli.command {
        Command::Lint(args) => lint::run(args),
        Command::Rules { format } => rules::list(format),
        Command::Explain { rule } => rules::explain(&rule),
        Command::Ingest(args) => ingest::run(db, args),
        Command::Daemon(args) => daemon::run(db, args, daemon::Role::Daemon),
        Command::Serve(args) => daemon::run(db, args, daemon::Role::Serve),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "iarss", &mut std::io::stdout());
            Ok(EXIT_OK)
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(command)
                .render(&mut std::io::stdout())
                .map(|()| EXIT_OK)
                .map_err(|e| CliError::failure(format!("cannot write the manual page: {e}")))
        }
        Command::Pages(cmd) => store_cmds::pages(db, cmd),
        Command::Articles(cmd) => store_cmds::articles(db, cmd),
        Command::Runs {
            page,
            limit,
            format,
        } => store_cmds::runs(db, page.as_deref(), limit, format),
        Command::Warnings {
            page,
            article,
            format,
        } => store_cmds::warnings(db, page.as_deref(), article.as_deref(), format),
        Command::Migrate => store_cmds::migrate(db),
        Command::Users(cmd) => access_cmds::users(db, cmd),
        Command::Tokens(cmd) => access_cmds::tokens(db, cmd),
        Command::Audit {
            limit,
            before,
            format,
        } => access_cmds::audit(db, limit, before, format),
    };
    ExitCode::from(match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", e.message);
            e.code
        }
    })
}

/// Logs to stderr as text or JSON lines, filtered by `IARSS_LOG` (else `default`); with
/// `count_statements`, also counts the store's statements for `/metrics`.
pub fn init_tracing(json: bool, default: &str, count_statements: bool) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_env("IARSS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let fmt = if json {
        fmt.json().with_filter(filter).boxed()
    } else {
        fmt.with_filter(filter).boxed()
    };
    let counter = count_statements.then(crate::store::statements::StatementCounter::layer);
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(counter)
        .try_init();
}
