//! `lint --format json` (version 1), exactly as docs/cli.md specifies, streamed to the writer
//! so a large feed's report is never held twice in memory.

use std::io::{self, Write};

use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{ArrayBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};

use super::LintedInput;
use crate::model::{CanonicalUrl, Diagnostic};
use crate::validate::{ArticleReport, Verdict};

/// An array of `T`'s schema, by reference.
fn array_of(name: &str) -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(Ref::from_schema_name(name))
        .into()
}

struct Diagnostics<'a>(&'a [Diagnostic]);

impl utoipa::PartialSchema for Diagnostics<'_> {
    fn schema() -> RefOr<Schema> {
        array_of("Diagnostic")
    }
}

impl ToSchema for Diagnostics<'_> {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            "Diagnostic".into(),
            <Diagnostic as utoipa::PartialSchema>::schema(),
        ));
        <Diagnostic as ToSchema>::schemas(schemas);
    }
}

impl Serialize for Diagnostics<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A diagnostic serializes as the contract's object (model::diagnostic).
        s.collect_seq(self.0.iter())
    }
}

/// One article of an input: its item's index and line, its identity, its verdict and
/// diagnostics.
#[derive(Serialize, ToSchema)]
#[schema(as = LintArticle)]
struct JsonArticle<'a> {
    /// 0-based position of its `<item>` among the channel's items (0 for an article file).
    index: usize,
    /// The item's guid, trimmed.
    guid: Option<&'a str>,
    /// The resolved canonical URL.
    canonical_url: Option<&'a str>,
    /// Line of the `<item>` start tag (1 for an article file).
    #[schema(minimum = 1)]
    line: u32,
    /// `reject` if any error, else `warn` if any warning, else `pass`.
    verdict: Verdict,
    /// The article's diagnostics.
    diagnostics: Diagnostics<'a>,
}

struct Articles<'a>(&'a [ArticleReport]);

impl utoipa::PartialSchema for Articles<'_> {
    fn schema() -> RefOr<Schema> {
        array_of("LintArticle")
    }
}

impl ToSchema for Articles<'_> {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            "LintArticle".into(),
            <JsonArticle as utoipa::PartialSchema>::schema(),
        ));
        <JsonArticle as ToSchema>::schemas(schemas);
    }
}

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

/// What an input is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum LintInputKind {
    /// An RSS feed.
    Feed,
    /// One article's HTML.
    Article,
}

/// One linted input.
#[derive(Serialize, ToSchema)]
#[schema(as = LintInput)]
struct JsonInput<'a> {
    /// The argument as given (`-` for standard input and the API).
    input: &'a str,
    /// `feed` or `article`, by the document's first element.
    #[schema(value_type = LintInputKind)]
    kind: &'static str,
    /// Feed-level diagnostics (a feed-level error empties `articles`).
    diagnostics: Diagnostics<'a>,
    /// Every item, rejected and superseded ones included.
    articles: Articles<'a>,
}

struct Inputs<'a>(&'a [LintedInput]);

impl utoipa::PartialSchema for Inputs<'_> {
    fn schema() -> RefOr<Schema> {
        array_of("LintInput")
    }
}

impl ToSchema for Inputs<'_> {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            "LintInput".into(),
            <JsonInput as utoipa::PartialSchema>::schema(),
        ));
        schemas.push((
            "LintInputKind".into(),
            <LintInputKind as utoipa::PartialSchema>::schema(),
        ));
        <JsonInput as ToSchema>::schemas(schemas);
    }
}

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

/// The counts of every input together.
#[derive(Serialize, Default, ToSchema)]
#[schema(as = LintSummary)]
struct Summary {
    /// Articles checked.
    articles: usize,
    /// Articles without a diagnostic.
    pass: usize,
    /// Articles with warnings only.
    warn: usize,
    /// Articles with an error.
    reject: usize,
    /// Error-severity diagnostics, feed-level included.
    errors: usize,
    /// Warnings, feed-level included.
    warnings: usize,
}

/// `iarss lint --format json` (version 1), as docs/cli.md specifies it.
#[derive(Serialize, ToSchema)]
pub struct LintDocument<'a> {
    /// Always 1.
    #[schema(minimum = 1, maximum = 1)]
    version: u32,
    /// Every input, in the order given.
    inputs: Inputs<'a>,
    /// The counts of all inputs.
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
    let doc = LintDocument {
        version: 1,
        inputs: Inputs(inputs),
        summary,
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
