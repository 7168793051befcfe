//! Rendering lint results: rustc-style text, the JSON contract, SARIF 2.1.0 and GitHub
//! workflow commands. Each format is one function over the same [`LintedInput`]s; the
//! command line and the HTTP API (`POST /api/v1/lint`) render through here.

use std::io::{self, Write};

mod github;
pub use json::LintDocument;
mod json;
mod sarif;
mod text;

use crate::model::Diagnostic;
use crate::parse::InputKind;
use crate::validate::InputReport;

/// Formats of `lint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
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

/// One linted input, ready to render.
pub struct LintedInput {
    /// The argument as given (`-` for stdin).
    pub name: String,
    /// What checking found.
    pub report: InputReport,
    /// The input's bytes when they are at hand (stdin, URLs); files are re-read for frames.
    pub bytes: Option<Vec<u8>>,
}

impl LintedInput {
    /// Bundles an input's report.
    pub fn new(name: &str, report: InputReport, bytes: Option<Vec<u8>>) -> Self {
        LintedInput {
            name: name.to_string(),
            report,
            bytes,
        }
    }

    /// `feed` or `article`.
    pub fn kind_str(&self) -> &'static str {
        match self.report.kind {
            InputKind::Feed => "feed",
            InputKind::Article => "article",
        }
    }

    /// Every diagnostic, feed-level first.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.report.all_diagnostics()
    }
}

/// Writes `inputs` in `format` to `out`.
pub fn render(format: LintFormat, inputs: &[LintedInput], out: &mut dyn Write) -> io::Result<()> {
    match format {
        LintFormat::Text => out.write_all(text::render(inputs).as_bytes()),
        LintFormat::Json => json::render(inputs, out),
        LintFormat::Sarif => sarif::render(inputs, out),
        LintFormat::Github => out.write_all(github::render(inputs).as_bytes()),
    }
}
