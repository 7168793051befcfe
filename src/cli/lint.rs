//! `iarss lint`: check feeds and article files, render the diagnostics, exit 0/1/2.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::Ordering;

use super::args::{LintArgs, LintFormat};
use super::error::{CliError, CliResult};
use super::output::{self, LintedInput};
use super::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
use crate::fetch::{self, CappedReader, FetchConfig, FetchError};
use crate::model::Domain;
use crate::parse::InputKind;
use crate::validate::{CheckOptions, InputReport, RuleId, check_input};

/// How many bytes are read before deciding feed versus article.
const HEAD_BYTES: usize = 64 * 1024;

/// A lint request, with its arguments turned into typed values.
pub struct LintRequest {
    /// Inputs as given.
    pub inputs: Vec<String>,
    /// Check options.
    pub options: CheckOptions,
    /// Output format.
    pub format: LintFormat,
    /// Exit 1 on warnings too.
    pub deny_warnings: bool,
    /// Refuse private addresses.
    pub deny_private_networks: bool,
    /// Size cap of each input.
    pub max_bytes: u64,
}

impl LintRequest {
    fn from_args(args: &LintArgs) -> Result<LintRequest, String> {
        let domain = match &args.domain {
            Some(d) => Some(Domain::parse(d).map_err(|e| e.to_string())?),
            None => None,
        };
        let zone = chrono_tz::Tz::from_str(&args.default_timezone)
            .map_err(|_| format!("`{}` is not an IANA time zone", args.default_timezone))?;
        let threads = if args.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            args.threads
        };
        let inputs = if args.inputs.is_empty() {
            vec!["-".to_string()]
        } else {
            args.inputs.clone()
        };
        Ok(LintRequest {
            inputs,
            options: CheckOptions {
                domain,
                zone,
                threads,
                ..CheckOptions::default()
            },
            format: args.format,
            deny_warnings: args.deny_warnings,
            deny_private_networks: args.deny_private_networks,
            max_bytes: args.max_bytes,
        })
    }
}

/// Runs `iarss lint`.
pub fn run(args: LintArgs) -> CliResult {
    if args.inputs.is_empty() && io::stdin().is_terminal() {
        // Waiting for a terminal to send a feed is never what was meant.
        return Err(CliError::usage(
            "no input given\n\nUsage: iarss lint [OPTIONS] [INPUTS]...\n\n\
             Give a feed or article file, an http(s) URL, or `-` to read standard input; \
             see `iarss lint --help`.",
        ));
    }
    let request = LintRequest::from_args(&args).map_err(CliError::usage)?;
    let mut code = EXIT_OK;
    let mut linted = Vec::new();
    for input in &request.inputs {
        match lint_one(input, &request) {
            Ok(one) => {
                let failing = one
                    .report
                    .all_diagnostics()
                    .any(|d| request.deny_warnings || d.is_error());
                if failing {
                    code = code.max(EXIT_FAILURE);
                }
                linted.push(one);
            }
            Err(message) => {
                // One input that cannot be opened does not stop the others.
                eprintln!("error: {input}: {message}");
                code = EXIT_USAGE;
            }
        }
    }
    let written = match &args.output {
        Some(path) => File::create(path).and_then(|f| {
            let mut out = io::BufWriter::new(f);
            output::render(request.format, &linted, &mut out).and_then(|_| out.flush())
        }),
        None => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            output::render(request.format, &linted, &mut out).and_then(|_| out.flush())
        }
    };
    if let Err(e) = written
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        return Err(CliError {
            code: EXIT_FAILURE.max(code),
            message: format!("cannot write the output: {e}"),
        });
    }
    Ok(code)
}

fn read_head(reader: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    reader.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Lints one input; `Err` when it cannot be opened at all (exit 2).
fn lint_one(input: &str, request: &LintRequest) -> Result<LintedInput, String> {
    if input.starts_with("http://") || input.starts_with("https://") {
        return Ok(lint_url(input, request));
    }
    let too_large = |cap: u64| {
        let report = InputReport::failed(
            InputKind::Feed,
            RuleId::FeedTooLarge,
            format!("the input is larger than {cap} bytes (--max-bytes)"),
            None,
        );
        Ok(LintedInput::new(input, report, None))
    };
    if input == "-" {
        let bytes = match fetch::read_capped(io::stdin().lock(), request.max_bytes) {
            Ok(b) => b,
            Err(FetchError::TooLarge(cap)) => return too_large(cap),
            Err(e) => return Err(format!("standard input: {e}")),
        };
        let report = check_bytes(&bytes, &request.options);
        return Ok(LintedInput::new(input, report, Some(bytes)));
    }
    let file = match fetch::local::open_capped(Path::new(input), request.max_bytes) {
        Ok(f) => f,
        Err(FetchError::TooLarge(cap)) => return too_large(cap),
        Err(e) => return Err(e.to_string()),
    };
    // A device or a growing file is read under the cap as it streams.
    let mut reader = CappedReader::new(file, request.max_bytes);
    let exceeded = reader.exceeded();
    let head = match read_head(&mut reader) {
        Ok(head) => head,
        Err(_) if exceeded.load(Ordering::Relaxed) => return too_large(request.max_bytes),
        Err(e) => return Err(format!("cannot read: {e}")),
    };
    let report = check_input(head, reader, &request.options);
    if exceeded.load(Ordering::Relaxed) {
        return too_large(request.max_bytes);
    }
    Ok(LintedInput::new(input, report, None))
}

fn check_bytes(bytes: &[u8], options: &CheckOptions) -> InputReport {
    let split = bytes.len().min(HEAD_BYTES);
    check_input(bytes[..split].to_vec(), &bytes[split..], options)
}

fn lint_url(url: &str, request: &LintRequest) -> LintedInput {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let report = InputReport::failed(
                InputKind::Feed,
                RuleId::FeedFetchFailed,
                format!("cannot start the HTTP client: {e}"),
                None,
            );
            return LintedInput::new(url, report, None);
        }
    };
    let config = FetchConfig {
        max_body_bytes: request.max_bytes,
        // The guard then holds on every redirect hop and every resolved address.
        allow_private_networks: !request.deny_private_networks,
        ..FetchConfig::default()
    };
    let result = runtime.block_on(async {
        if request.deny_private_networks {
            fetch::refuse_private(url).await?;
        }
        fetch::fetch(url, &config).await
    });
    match result {
        Ok(fetched) => {
            let mut options = request.options.clone();
            options.http_charset = fetched.charset.clone();
            let report = check_bytes(&fetched.body, &options);
            LintedInput::new(url, report, Some(fetched.body))
        }
        Err(e) => {
            let report =
                InputReport::failed(InputKind::Feed, e.rule(), format!("{url}: {e}"), None);
            LintedInput::new(url, report, None)
        }
    }
}
