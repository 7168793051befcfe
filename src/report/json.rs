//! `lint --format json` (version 1), exactly as docs/cli.md specifies, streamed to the writer
//! so a large feed's report is never held twice in memory.

use std::io::{self, Write};

use serde::Serialize;

use super::LintedInput;
use crate::model::{CanonicalUrl, Diagnostic};
use crate::validate::{ArticleReport, Verdict};

struct Diagnostics<'a>(&'a [Diagnostic]);

impl Serialize for Diagnostics<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A diagnostic serializes as the contract's object (model::diagnostic).
        s.collect_seq(self.0.iter())
    }
}

#[derive(Serialize)]
struct JsonArticle<'a> {
    index: usize,
    guid: Option<&'a str>,
    canonical_url: Option<&'a str>,
    line: u32,
    verdict: Verdict,
    diagnostics: Diagnostics<'a>,
}

struct Articles<'a>(&'a [ArticleReport]);

impl Serialize for Articles<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|a| JsonArticle {
            index: a.index,
            guid: a.guid.as_deref(),
            canonical_url: a.canonical_url.as_ref().map(CanonicalUrl::as_str),
            line: a.line,
            verdict: a.verdict(),
            diagnostics: Diagnostics(&a.diagnostics),
        }))
    }
}

#[derive(Serialize)]
struct JsonInput<'a> {
    input: &'a str,
    kind: &'static str,
    diagnostics: Diagnostics<'a>,
    articles: Articles<'a>,
}

struct Inputs<'a>(&'a [LintedInput]);

impl Serialize for Inputs<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|i| JsonInput {
            input: &i.name,
            kind: i.kind_str(),
            diagnostics: Diagnostics(&i.report.diagnostics),
            articles: Articles(&i.report.articles),
        }))
    }
}

#[derive(Serialize, Default)]
struct Summary {
    articles: usize,
    pass: usize,
    warn: usize,
    reject: usize,
    errors: usize,
    warnings: usize,
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    version: u32,
    inputs: Inputs<'a>,
    summary: Summary,
}

pub(super) fn render(inputs: &[LintedInput], out: &mut dyn Write) -> io::Result<()> {
    let mut summary = Summary::default();
    for input in inputs {
        for a in &input.report.articles {
            summary.articles += 1;
            match a.verdict() {
                Verdict::Pass => summary.pass += 1,
                Verdict::Warn => summary.warn += 1,
                Verdict::Reject => summary.reject += 1,
            }
        }
        for d in input.diagnostics() {
            if d.is_error() {
                summary.errors += 1;
            } else {
                summary.warnings += 1;
            }
        }
    }
    let doc = JsonOutput {
        version: 1,
        inputs: Inputs(inputs),
        summary,
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
